-- Repeatable: re-applied when a contract's PII columns change. Each column of the warehouse's
-- copies that holds personal data (from the contracts) carries the pii tag, so the tag-based
-- masking policy (V005) masks it.
{% for col in a.pii_columns %}
alter table {{ a.database }}.{{ col.relation }} modify column {{ col.column }}
    set tag {{ a.database }}.{{ PII_TAG }} = '{{ col.tag }}';
{% endfor %}
