"""The monitoring data set: every published estimate of every wave and municipality in one tidy table.

:func:`monitoring_table` stacks the published estimates tables (after
disclosure control: withheld values blank, flags kept) of every wave and
municipality; :func:`write_monitoring` writes it as a CSV file with a
Frictionless Data package descriptor (``datapackage.json``: the table schema
with field types, units, titles in Lithuanian and English, primary key,
licence and sources), so a national data portal or a dashboard can take it as
it is.
"""

from ._dataset import (
    MONITORING_COLUMNS,
    MONITORING_FIELDS,
    MONITORING_KEY,
    Field,
    datapackage,
    monitoring_table,
    write_monitoring,
)

__all__ = ["MONITORING_COLUMNS", "MONITORING_FIELDS", "MONITORING_KEY", "Field", "datapackage",
           "monitoring_table", "write_monitoring"]
