-- fakesnow: render-only (no virtual warehouses or resource monitors)
-- One virtual warehouse per workload, suspended when idle and resumed by the first query, all
-- under one monthly resource monitor: notify at 80 %, suspend at 100 %, stop at 110 %.
create resource monitor if not exists {{ RESOURCE_MONITOR }}
    with credit_quota = {{ a.monthly_credit_quota }} frequency = monthly start_timestamp = immediately
    triggers on 80 percent do notify on 100 percent do suspend on 110 percent do suspend_immediate;
{% for wh in a.warehouses %}
create warehouse if not exists {{ wh.name }}
    with warehouse_size = '{{ wh.size }}' auto_suspend = {{ wh.auto_suspend_s }} auto_resume = true
    initially_suspended = true comment = 'The {{ wh.workload }} workload';
alter warehouse {{ wh.name }} set resource_monitor = {{ RESOURCE_MONITOR }};
grant usage on warehouse {{ wh.name }} to role {{ a.roles | attr(wh.used_by) }};
{% endfor %}
