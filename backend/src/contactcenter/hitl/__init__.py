"""Human in the loop: the approval queue, decisions on drafts, conversation control."""
