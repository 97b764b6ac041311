-- fakesnow: render-only (no storage integrations; its stages read the lake directly)
-- Repeatable: re-applied when the lake moves. The storage integration the stages read the lake
-- through (SNOWFLAKE_STORAGE_INTEGRATION), limited to the zones the warehouse copies; altered,
-- never replaced (a new integration gets a new external id, which the IAM role's trust policy
-- names). Without the setting the stages use no integration and this has no statement.
{% if a.storage_integration %}
create storage integration if not exists {{ a.storage_integration }}
    type = external_stage storage_provider = 'S3' enabled = true
    storage_aws_role_arn = '{{ a.storage_aws_role_arn }}'
    storage_allowed_locations = ({% for s in a.stages %}'{{ s.url }}'{{ ", " if not loop.last }}{% endfor %});
alter storage integration {{ a.storage_integration }} set
    storage_aws_role_arn = '{{ a.storage_aws_role_arn }}'
    storage_allowed_locations = ({% for s in a.stages %}'{{ s.url }}'{{ ", " if not loop.last }}{% endfor %});
grant usage on integration {{ a.storage_integration }} to role {{ a.roles.loader }};
{% endif %}
