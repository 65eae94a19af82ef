"""Who is alerted next and when: alerting a level, escalating, the deadlines' effects."""
