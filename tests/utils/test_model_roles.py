"""The rot alarm: no workshop role may point at a model that is not ACTIVE, and every role must
resolve in every workshop region. `make test` also prints a warning for roles whose lifecycle
changes within 90 days (see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from local_bedrock import catalog
from utils import models


@pytest.mark.parametrize("role", sorted(models.ROLES))
def test_every_role_is_active_in_the_registry(role):
    model = models.role_models()[role]
    assert model.status == "ACTIVE", f"{role} -> {model.model_id} is {model.status}"
    assert model.lifecycle.status_on(dt.date.today()) == "ACTIVE", (
        f"{role} -> {model.model_id} passed a lifecycle date: update local_bedrock/catalog_models.py")


@pytest.mark.parametrize("region", catalog.WORKSHOP_REGIONS)
def test_every_role_resolves_in_every_workshop_region(region):
    for role, model in models.role_models().items():
        where = models.region_for(model) if role == "IMAGE_MODEL" else region
        ident = models.invoke_id(model, where)
        assert catalog.find(ident) is model


def test_every_entry_names_its_source_and_the_registry_its_date():
    assert dt.date.fromisoformat(catalog.CHECKED) <= dt.date.today()
    for m in catalog.MODELS:
        assert m.source.startswith("https://docs.aws.amazon.com/"), m.model_id
        assert m.status in catalog.STATUSES, m.model_id
        for route in m.routes:
            assert route.sources and route.destinations, (m.model_id, route.geo)


def test_end_of_life_entries_are_kept_but_serve_no_role():
    eol = {m.model_id for m in catalog.MODELS if m.status == "EOL"}
    assert "anthropic.claude-3-haiku-20240307-v1:0" in eol  # kept for the lessons
    assert not eol & {m.model_id for m in models.role_models().values()}


def test_rot_warnings_see_a_lifecycle_date_coming():
    model = models.role_models()["TEXT_MODEL"]
    original = model.lifecycle
    object.__setattr__(model, "lifecycle",
                       catalog.Lifecycle("ACTIVE", legacy="2027-01-15", eol="2027-07-15"))
    try:
        lines = models.rot_warnings(dt.date(2026, 12, 7))
        assert any("TEXT_MODEL" in line and "legacy in 39 days" in line for line in lines)
        assert not any("TEXT_MODEL" in line for line in models.rot_warnings(dt.date(2026, 6, 1)))
        assert any("TEXT_MODEL" in line and "is LEGACY" in line
                   for line in models.rot_warnings(dt.date(2027, 2, 1)))
    finally:
        object.__setattr__(model, "lifecycle", original)
