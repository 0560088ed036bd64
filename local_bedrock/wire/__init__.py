"""The wire format: routing, request parsing and response serialisation from botocore's models."""
