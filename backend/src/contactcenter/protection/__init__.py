"""Protection under load: rate limits per client and per tenant."""
