"""The workbook writer: :func:`optimizer.xlsx.write_instance` is the inverse of the
reader, for generated instances and for every reference case."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from generated import instances
from hypothesis import HealthCheck, given, settings
from workbooks import all_cases

from optimizer.io import read_instance
from optimizer.xlsx import save_atomically, write_instance

EXAMPLES = int(os.environ.get("STOCKPILE_FUZZ_EXAMPLES", "150")) // 3


def read_back(instance, path):
    """Write ``instance``, read it again; the read must be clean."""
    save_atomically(write_instance(instance), path)
    result = read_instance(path)
    assert result.ok, [str(p) for p in result.errors]
    return result.instance


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instance=instances())
def test_reading_what_write_instance_wrote_gives_the_same_instance(instance, tmp_path_factory):
    back = read_back(instance, tmp_path_factory.mktemp("written") / "written.xlsx")
    assert back == replace(instance, source_name="written.xlsx",
                           source_sha256=back.source_sha256)


@pytest.mark.parametrize("path", all_cases(), ids=lambda p: p.name)
def test_reference_case_survives_write_and_read(path, tmp_path):
    original = read_instance(path).instance
    back = read_back(original, tmp_path / path.name)
    assert back == replace(original, source_sha256=back.source_sha256)
