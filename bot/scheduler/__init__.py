"""Time-driven work: pending inbox events, due outbox messages, overdue clocks."""
