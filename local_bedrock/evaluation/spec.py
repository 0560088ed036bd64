"""What Bedrock documents about evaluation jobs: task types, metric names, built-in datasets,
judge rating scales. Checked 2026-12-07 against:

* botocore's bedrock service model (EvaluationDatasetMetricConfig.metricNames, EvaluationDataset.name)
* https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-tasks.html (task types,
  built-in datasets, computed metric per task)
* https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-metrics.html (judge metrics)
* https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-type-judge-prompt-nova.html
  (each judge metric's answer labels and score mapping; "normalized in the output")
* https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-eval-retrieve.html
  (RAG metrics for retrieve-only and retrieve-and-generate jobs)
* https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-built-in-metrics.html and
  knowledge-base-evaluation-create-randg.html (judge and RAG jobs use taskType "General")
"""

from __future__ import annotations

ALGORITHMIC = ("Builtin.Accuracy", "Builtin.Robustness", "Builtin.Toxicity")
JUDGE = ("Builtin.Correctness", "Builtin.Completeness", "Builtin.Faithfulness",
         "Builtin.Helpfulness", "Builtin.Coherence", "Builtin.Relevance",
         "Builtin.FollowingInstructions", "Builtin.ProfessionalStyleAndTone",
         "Builtin.Harmfulness", "Builtin.Stereotyping", "Builtin.Refusal")
RAG_RETRIEVE = ("Builtin.ContextRelevance", "Builtin.ContextCoverage")
RAG_GENERATE = ("Builtin.Correctness", "Builtin.Completeness", "Builtin.Helpfulness",
                "Builtin.LogicalCoherence", "Builtin.Faithfulness", "Builtin.Harmfulness",
                "Builtin.Stereotyping", "Builtin.Refusal", "Builtin.CitationPrecision",
                "Builtin.CitationCoverage")

# API task types (botocore enum) and "General", which the docs' judge and RAG examples use.
TASK_TYPES = ("Summarization", "Classification", "QuestionAndAnswer", "Generation", "Custom",
              "General")
ALGORITHMIC_TASKS = {"General": "Generation"}  # the console's "General text generation"

# Built-in datasets per task (model-evaluation-tasks.html); names as botocore spells them, plus
# the older spellings some SDKs still document (matched case-insensitively).
BUILTIN_DATASETS = {
    "QuestionAndAnswer": ("Builtin.BoolQ", "Builtin.TriviaQA", "Builtin.NaturalQuestions"),
    "Summarization": ("Builtin.Gigaword",),
    "Classification": ("Builtin.WomensEcommerceClothingReviews",),
    "Generation": ("Builtin.T-Rex", "Builtin.Bold", "Builtin.Wikitext2",
                   "Builtin.RealToxicityPrompts"),
}
# Which built-in datasets Bedrock recommends for each metric of the Generation task.
GENERATION_METRIC_DATASETS = {
    "Builtin.Accuracy": ("Builtin.T-Rex",),
    "Builtin.Robustness": ("Builtin.Bold", "Builtin.T-Rex", "Builtin.Wikitext2"),
    "Builtin.Toxicity": ("Builtin.RealToxicityPrompts", "Builtin.Bold"),
}

# Judge scales: (label, raw value) from the Nova Pro evaluator prompt page; the score written is
# raw / max(raw) ("normalized in the output"); None is NaN (Not applicable), written as null.
_LIKERT5 = (("Not at all", 0), ("Not generally", 1), ("Neutral/Mixed", 2), ("Generally yes", 3),
            ("Yes", 4))
SCALES: dict[str, tuple[tuple[str, float | None], ...]] = {
    "Builtin.Correctness": (("incorrect", 0), ("partially correct", 1), ("correct", 2)),
    "Builtin.Completeness": _LIKERT5,
    "Builtin.Faithfulness": (("none is faithful", 0), ("some is faithful", 1),
                             ("approximately half is faithful", 2), ("most is faithful", 3),
                             ("all is faithful", 4)),
    "Builtin.Helpfulness": (("not helpful at all", 0), ("very unhelpful", 1),
                            ("somewhat unhelpful", 2), ("neither helpful nor unhelpful", 3),
                            ("somewhat helpful", 4), ("very helpful", 5), ("above and beyond", 6)),
    "Builtin.Coherence": _LIKERT5,
    "Builtin.LogicalCoherence": _LIKERT5,
    "Builtin.Relevance": (("not at all", 0), ("slightly", 1), ("somewhat", 2), ("mostly", 3),
                          ("completely", 4)),
    "Builtin.FollowingInstructions": (("Not applicable", None), ("No", 0), ("Yes", 1)),
    "Builtin.ProfessionalStyleAndTone": (("not at all", 0), ("not generally", 1),
                                         ("neutral/mixed", 2), ("generally yes", 3),
                                         ("completely yes", 4)),
    "Builtin.Harmfulness": (("No", 0), ("Yes", 1)),
    "Builtin.Stereotyping": (("No", 0), ("Yes", 1)),
    "Builtin.Refusal": (("No", 0), ("Yes", 1)),
    # RAG-only metrics: labels are the engine's (the docs give the metrics, not these scales)
    "Builtin.ContextRelevance": (("No", 0), ("Maybe", 1), ("Yes", 2)),
    "Builtin.ContextCoverage": _LIKERT5,
    "Builtin.CitationPrecision": (("none", 0), ("some", 1), ("half", 2), ("most", 3), ("all", 4)),
    "Builtin.CitationCoverage": (("none", 0), ("some", 1), ("half", 2), ("most", 3), ("all", 4)),
}


def normalized(metric: str, label: str) -> float | None:
    """The 0-1 score Bedrock writes for a judge answer label (None for Not applicable)."""
    scale = SCALES[metric]
    top = max(v for _, v in scale if v is not None)
    value = dict(scale)[label]
    return None if value is None else round(value / top, 4)


def canonical_builtin(name: str) -> str | None:
    """The documented spelling of a built-in dataset name (case-insensitive), or None."""
    low = name.lower()
    for names in BUILTIN_DATASETS.values():
        for known in names:
            if known.lower() == low:
                return known
    return None


def task_of_builtin(name: str) -> str | None:
    """The task type a built-in dataset belongs to."""
    canon = canonical_builtin(name)
    return next((t for t, names in BUILTIN_DATASETS.items() if canon in names), None)
