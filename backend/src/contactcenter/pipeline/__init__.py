"""The AI reply pipeline: triage -> retrieve -> respond -> score -> gate, as durable jobs."""
