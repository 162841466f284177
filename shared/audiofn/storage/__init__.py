"""Adapters for S3, SQS and DynamoDB: the only modules that talk to boto3."""
