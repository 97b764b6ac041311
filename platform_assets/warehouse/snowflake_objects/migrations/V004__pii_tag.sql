-- The tag that marks personal data on a column; its value says how the column is protected
-- (e.g. hmac_sha256). The contracts' PII columns get it (R050), dbt's marts too (post-hook).
create schema if not exists {{ a.database }}.{{ GOVERNANCE_SCHEMA }}
    comment = 'Tags and policies that protect personal data';
create tag if not exists {{ a.database }}.{{ PII_TAG }}
    comment = 'Column holds personal data (value: how it is protected, e.g. hmac_sha256)';
