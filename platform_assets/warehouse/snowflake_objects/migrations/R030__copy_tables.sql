-- Repeatable: re-applied when a contract's columns change. The loader's copies of the lake
-- (transient tables with the lake's columns and the load columns) and its load logs, as the
-- loader renders them (warehouse/load_sql.py), so the PII tags (R050) have columns to land on;
-- a column added to a contract later is added by the loader (and here, if it is PII).
use database {{ a.database }};
{% for stmt in copy_setup %}
{{ stmt }};
{% endfor %}
