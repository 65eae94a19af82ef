"""Handlers of care plans and visits: /newplan, /visits, /plan, the visit buttons."""
