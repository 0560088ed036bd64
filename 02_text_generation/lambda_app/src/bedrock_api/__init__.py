"""The prompt API of lab 02/05: API Gateway -> this Lambda function -> Amazon Bedrock Converse."""
