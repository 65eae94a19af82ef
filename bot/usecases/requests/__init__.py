"""Use cases of a request's life: raised, taken, talked through, resolved, cancelled."""
