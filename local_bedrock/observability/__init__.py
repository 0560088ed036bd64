"""Observability, offline: model invocation logging delivered like Bedrock does it, and the
CloudWatch behaviour the LLMOps lab reads back (percentile statistics, alarm evaluation).

* :mod:`.models` - the logging configuration (Put/Get/DeleteModelInvocationLoggingConfiguration)
  and the delivery: an engine observer that writes one record in Bedrock's model-invocation-log
  schema per runtime call to the configured CloudWatch Logs group (stream
  ``aws/bedrock/modelinvocations``) and/or S3 bucket (``<prefix>/AWSLogs/<account>/
  BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/*.json.gz``), both served by moto.
* :mod:`.cloudwatch` - moto's CloudWatch taught what real CloudWatch does: percentile
  statistics (``p50``, ``p90``, ``p99``...) in GetMetricData, metric math (:mod:`.metric_math`),
  and evaluating metric and metric-math alarms against the stored data when they are described.
* :mod:`.guardrail_metrics` - the ``AWS/Bedrock/Guardrails`` metrics of every guardrail
  evaluation (ApplyGuardrail, guarded model calls), put into CloudWatch before it is read.
* :mod:`.runtime_metrics` - the ``AWS/Bedrock`` metrics of every model call (Invocations, latency,
  errors, throttles, tokens), published by the engine itself as Bedrock does, before CloudWatch is read.
* :mod:`.responses` - the handlers and ``install(engine)``.
"""
