"""APScheduler wiring and the jobs: claim, probe, evaluate, persist, deliver, roll up."""
