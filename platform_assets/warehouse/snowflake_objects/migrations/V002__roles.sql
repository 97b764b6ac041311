-- fakesnow: render-only (no roles: CREATE ROLE and GRANT ROLE do not parse)
-- The functional roles, each under SYSADMIN so administrators keep their objects. PII_READER
-- unmasks personal data (the masking policy); an administrator grants it to people, not roles.
{% for role in a.roles.all() %}
create role if not exists {{ role }};
{% if role != a.roles.pii_reader %}
grant role {{ role }} to role {{ PARENT_ROLE }};
{% endif %}
{% endfor %}
