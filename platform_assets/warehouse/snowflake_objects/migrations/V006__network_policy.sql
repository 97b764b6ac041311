-- fakesnow: render-only (no network policies)
-- The platform's user (SNOWFLAKE_USER) may connect only from the platform's addresses
-- (SNOWFLAKE_ALLOWED_IPS, e.g. the NAT gateway of its tasks); people's users are not affected.
create network policy if not exists {{ NETWORK_POLICY }}
    allowed_ip_list = ({% for ip in a.allowed_ips %}'{{ ip }}'{{ ", " if not loop.last }}{% endfor %})
    comment = 'Where the lakehouse platform connects from';
{% if a.user %}
alter user if exists {{ a.user }} set network_policy = {{ NETWORK_POLICY }};
{% endif %}
