"""bedrock-runtime: Converse, ConverseStream, InvokeModel(+stream), CountTokens."""
