"""The built web app (frontend/dist) served by the backend, so one address gives the product."""
