"""Lab 04: model customization offline (jobs, custom models, provisioned throughput)."""
