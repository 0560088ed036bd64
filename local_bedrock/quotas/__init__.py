"""Bedrock quotas offline: Service Quotas for ServiceCode "bedrock" and the engine's enforcement.

* :mod:`.table` - each model's tokens-per-minute and tokens-per-day quotas (names, codes, default
  values, each with where it comes from; checked 2026-12-07);
* :mod:`.models` - the account's applied values and increase requests on one engine, and the
  quota a runtime call counts against (`local_bedrock.faults` enforces it with ``quotas=1``);
* :mod:`.anomaly` - CloudWatch anomaly detectors and band alarms, added to moto's CloudWatch;
* :mod:`.responses` - the Service Quotas handlers and ``install(engine)``.
"""
