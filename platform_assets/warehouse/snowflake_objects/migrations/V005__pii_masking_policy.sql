-- fakesnow: render-only (no masking policies: CREATE / SET MASKING POLICY do not parse)
-- Every column tagged pii is masked for everyone but sessions holding the PII reader role
-- (a tag-based policy: a column tagged later is masked without another statement).
create masking policy if not exists {{ a.database }}.{{ MASK_PII }}
    as (val string) returns string ->
    case when is_role_in_session('{{ a.roles.pii_reader }}') then val else '***MASKED***' end;
alter tag {{ a.database }}.{{ PII_TAG }} set masking policy {{ a.database }}.{{ MASK_PII }};
