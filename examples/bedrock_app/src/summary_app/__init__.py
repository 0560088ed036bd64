"""A summary API on Amazon Bedrock: the application local_bedrock's example tests."""
