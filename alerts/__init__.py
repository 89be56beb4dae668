"""Alert delivery: channels (one module each), routes, rendering and the outbox."""
