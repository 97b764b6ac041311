-- Repeatable: re-applied when the lake's URL or the integration changes (then the stages are
-- replaced, reading the new place). The Parquet file format and one stage per copied zone.
create file format if not exists {{ a.database }}.{{ a.file_format }} type = parquet;
{% for stage in a.stages %}
create or replace stage {{ a.database }}.{{ stage.name }} url = '{{ stage.url }}'{% if stage.storage_integration %} storage_integration = {{ stage.storage_integration }}{% endif %}

    file_format = (format_name = {{ a.database }}.{{ stage.file_format }});
{% endfor %}
