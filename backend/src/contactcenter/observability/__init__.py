"""What operators see inside the service: Prometheus metrics (`/metrics`)."""
