"""The TOML writer used by the sample generator: what it writes reads back as the same data."""

from __future__ import annotations

import tomllib
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from server.config.toml_write import dump_toml

keys = st.text(min_size=1, max_size=8)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=20),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(keys, scalars, max_size=4))
tables = st.dictionaries(keys, values, max_size=5)


@given(st.dictionaries(keys, st.one_of(values, tables, st.lists(tables, min_size=1, max_size=3)), max_size=5))
def test_round_trip(data: dict) -> None:
    # arrays of tables with an empty table are written as inline [{}], which reads back the same
    assert tomllib.loads(dump_toml(data)) == data


def test_inline_tables_and_quoted_keys() -> None:
    text = dump_toml({"windows": [{"id": "W1", "queues": {"A1": 3, "中文": 1}}]}, header="hall")
    assert text.splitlines()[0] == "# hall"
    assert 'queues = { A1 = 3, "中文" = 1 }' in text
    assert tomllib.loads(text) == {"windows": [{"id": "W1", "queues": {"A1": 3, "中文": 1}}]}
