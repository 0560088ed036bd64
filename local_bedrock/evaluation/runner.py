"""Runs an evaluation job to the end, as Bedrock does: inference, scoring, results in S3.

A job runs in a background thread. For each dataset of the request it reads the prompts,
obtains the responses (the engine's Converse for a Bedrock model, the dataset's own for
bring-your-own-inference, the engine's Retrieve / RetrieveAndGenerate for a knowledge base),
scores them (:mod:`.algorithmic` or :mod:`.judge`) and writes one result file
(:mod:`.output`). Answers come from the engine's stand-in model, not from a model; judge
scores come from the engine's rule-based judge, not from the evaluator model named in the job.

StopEvaluationJob sets a flag the runner checks between prompts: the dataset in progress is
not written, the job ends Stopped. Throttles are retried (the service paces its own work);
other invocation errors leave the prompt without a response.
"""

from __future__ import annotations

import json
import time

from local_bedrock.errors import EngineError, validation
from local_bedrock.evaluation import algorithmic, datasets, output, perturb, spec
from local_bedrock.evaluation.judge import Case, judge

START_DELAY_S = 0.3  # Bedrock provisions a job before its first prompt: time to stop it
SERVER_ATTEMPTS = 3


class Stopped(Exception):
    """StopEvaluationJob was called."""


class Runner:
    """Executes one job (see the module docstring)."""

    def __init__(self, engine, job):
        self.engine, self.job = engine, job
        self.params = job.params
        automated = self.params["evaluationConfig"]["automated"]
        evaluators = (automated.get("evaluatorModelConfig") or {}).get("bedrockEvaluatorModels")
        self.evaluator = evaluators[0]["modelIdentifier"] if evaluators else None
        self.model = (self.params["inferenceConfig"].get("models") or [{}])[0]

    # -- the job ---------------------------------------------------------------------------
    def run(self) -> None:
        """Run every dataset; end Completed, Stopped or Failed (with the reason)."""
        try:
            self._wait(START_DELAY_S)
            for item in self.params["evaluationConfig"]["automated"]["datasetMetricConfigs"]:
                self._dataset(item)
            self.job.finish("Completed")
        except Stopped:
            self.job.finish("Stopped")
        except EngineError as err:
            self.job.finish("Failed", err.message)
        except Exception as exc:  # an engine bug: report it on the job rather than hide it
            self.job.finish("Failed", f"Local engine error: {type(exc).__name__}: {exc}")

    def _wait(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._check_stop()
            time.sleep(0.02)

    def _check_stop(self) -> None:
        if self.job.stop_requested:
            raise Stopped

    def _dataset(self, item: dict) -> None:
        kind, task = self.job.plan.kind, item["taskType"]
        if kind == "rag":
            source, lines = self._rag(item)
        else:
            source = (self.model.get("bedrockModel", {}).get("modelIdentifier")
                      or self.model["precomputedInferenceSource"]["inferenceSourceIdentifier"])
            lines = self._algorithmic(item) if kind == "algorithmic" else self._judged(item)
        bucket, key = output.result_key(self.job, source, task, item["dataset"]["name"])
        self._check_stop()
        try:
            output.write(self.engine, bucket, key, lines)
        except Exception as exc:  # botocore ClientError from moto: no bucket, no access
            message = getattr(exc, "response", {}).get("Error", {}).get("Message", str(exc))
            raise validation(f"Could not write the results to s3://{bucket}/{key}: "
                             f"{message}") from exc

    # -- inference -------------------------------------------------------------------------
    def _converse_params(self) -> dict:
        raw = self.model.get("bedrockModel", {}).get("inferenceParams")
        params = json.loads(raw) if raw else {}
        out = {k: params[k] for k in ("inferenceConfig", "additionalModelRequestFields")
               if k in params}
        return out

    def _invoke(self, prompt: str) -> str | None:
        """The evaluated model's answer, or None when the invocation fails."""
        from local_bedrock.runtime import converse

        request = {"modelId": self.model["bedrockModel"]["modelIdentifier"],
                   "messages": [{"role": "user", "content": [{"text": prompt}]}],
                   **self._converse_params()}
        attempts = 0
        while True:
            self._check_stop()
            try:
                out = converse.converse(self.engine, request)
                return "".join(b.get("text", "") for b in out["output"]["message"]["content"])
            except EngineError as err:
                if err.code == "ThrottlingException":
                    time.sleep(0.02)
                    continue
                attempts += 1
                if err.status >= 500 and attempts < SERVER_ATTEMPTS:
                    continue
                return None

    def _model_arn(self) -> str:
        from local_bedrock import catalog

        ident = self.model.get("bedrockModel", {}).get("modelIdentifier")
        if ident is None:
            return self.model["precomputedInferenceSource"]["inferenceSourceIdentifier"]
        if ident.startswith("arn:"):
            return ident
        if catalog.base_model_id(ident) == ident:
            return f"arn:aws:bedrock:{self.engine.region}::foundation-model/{ident}"
        return f"arn:aws:bedrock:{self.engine.region}:{self.job.account}:inference-profile/{ident}"

    # -- automatic (algorithmic) -------------------------------------------------------------
    def _algorithmic(self, item: dict) -> list[dict]:
        task = spec.ALGORITHMIC_TASKS.get(item["taskType"], item["taskType"])
        metrics = item["metricNames"]
        records = datasets.model_records(self.engine, item["dataset"], metrics, task)
        arn, lines = self._model_arn(), []
        for record in records:
            prompt, reference = record["prompt"], record.get("referenceResponse")
            response = self._invoke(prompt)
            scores = []
            if response:
                for metric in metrics:
                    value = self._algorithmic_score(metric, task, prompt, response, reference)
                    if value is not None:
                        scores.append(output.score(metric, value))
            lines.append(output.model_line(record, scores, arn, response or ""))
        return lines

    def _algorithmic_score(self, metric: str, task: str, prompt: str, response: str,
                           reference: str | None) -> float | None:
        if metric == "Builtin.Toxicity":
            return algorithmic.toxicity(response)
        if metric == "Builtin.Accuracy":
            return algorithmic.accuracy(task, response, reference) if reference else None
        perturbed = [self._invoke(p) or "" for p in perturb.perturbations(prompt)]
        return algorithmic.robustness(task, response, perturbed, reference)

    # -- model as judge ----------------------------------------------------------------------
    def _judged(self, item: dict) -> list[dict]:
        precomputed = (self.model.get("precomputedInferenceSource") or {}).get(
            "inferenceSourceIdentifier")
        records = datasets.model_records(self.engine, item["dataset"], item["metricNames"],
                                         item["taskType"], precomputed)
        arn, lines = self._model_arn(), []
        for record in records:
            self._check_stop()
            if precomputed:
                response = next(r["response"] for r in record["modelResponses"]
                                if r.get("modelIdentifier") == precomputed)
            else:
                response = self._invoke(record["prompt"])
            scores = []
            if response:
                case = Case(record["prompt"], response, record.get("referenceResponse"))
                scores = [self._judge_score(m, case) for m in item["metricNames"]]
            lines.append(output.model_line(record, scores, arn, response or ""))
        return lines

    def _judge_score(self, metric: str, case: Case) -> dict:
        verdict = judge(metric, case)
        return output.score(metric, verdict.score, self.evaluator, verdict.explanation)

    # -- knowledge bases (RAG) -----------------------------------------------------------------
    def _rag(self, item: dict) -> tuple[str, list[dict]]:
        plan, rag = self.job.plan, self.params["inferenceConfig"]["ragConfigs"][0]
        records = datasets.rag_records(self.engine, item["dataset"], plan.rag_mode, plan.precomputed)
        if plan.precomputed:
            pre = rag["precomputedRagSourceConfig"]
            source = next(iter(pre.values()))["ragSourceIdentifier"]
        else:
            kb = rag["knowledgeBaseConfig"]
            config = kb.get("retrieveConfig") or kb["retrieveAndGenerateConfig"].get(
                "knowledgeBaseConfiguration")
            source = config["knowledgeBaseId"]
        lines = []
        for record in records:
            self._check_stop()
            session, turns = None, []
            for turn in record["conversationTurns"]:
                out = dict(turn)
                if not plan.precomputed:
                    out["output"], session = self._rag_output(rag["knowledgeBaseConfig"], turn,
                                                              session)
                out["results"] = self._rag_results(item["metricNames"], out)
                turns.append(out)
            lines.append({**record, "conversationTurns": turns})
        return source, lines

    def _rag_output(self, kb_config: dict, turn: dict, session: str | None) -> tuple[dict, str]:
        from local_bedrock.knowledge_bases import models as kb_models
        from local_bedrock.knowledge_bases import retrieval

        store, question = kb_models.store(self.engine), datasets.prompt_text(turn)
        if "retrieveConfig" in kb_config:
            config = kb_config["retrieveConfig"]
            found = retrieval.retrieve(store, {
                "knowledgeBaseId": config["knowledgeBaseId"], "retrievalQuery": {"text": question},
                "retrievalConfiguration": config["knowledgeBaseRetrievalConfiguration"]})
            return {"knowledgeBaseIdentifier": config["knowledgeBaseId"],
                    "retrievedResults": {"retrievalResults": found["retrievalResults"]}}, session
        config = kb_config["retrieveAndGenerateConfig"]
        request = {"input": {"text": question}, "retrieveAndGenerateConfiguration": config}
        if session:
            request["sessionId"] = session
        answer = retrieval.retrieve_and_generate(self.engine, store, request)
        passages, seen = [], set()
        for citation in answer.get("citations") or []:
            for ref in citation.get("retrievedReferences") or []:
                text = ref.get("content", {}).get("text", "")
                if text not in seen:
                    seen.add(text)
                    passages.append(ref)
        kb_id = config["knowledgeBaseConfiguration"]["knowledgeBaseId"]
        return {"text": answer["output"]["text"], "knowledgeBaseIdentifier": kb_id,
                "retrievedPassages": {"retrievalResults": passages},
                "citations": answer.get("citations") or []}, answer.get("sessionId")

    def _rag_results(self, metrics: list[str], turn: dict) -> list[dict]:
        out = turn.get("output") or {}
        results = (out.get("retrievedResults") or out.get("retrievedPassages") or {}).get(
            "retrievalResults") or []
        contexts = [r.get("content", {}).get("text", "") for r in results]
        cited = [ref.get("content", {}).get("text", "") for c in out.get("citations") or []
                 for ref in c.get("retrievedReferences") or []]
        if not out.get("citations") and out.get("text"):
            cited = contexts  # bring-your-own answers cite what they retrieved
        references = datasets.reference_texts(turn)
        case = Case(datasets.prompt_text(turn), out.get("text", ""),
                    datasets.OR.join(references) if references else None, contexts,
                    list(dict.fromkeys(cited)))
        return [self._judge_score(m, case) for m in metrics]
