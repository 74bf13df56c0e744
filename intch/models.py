"""intch has no models of its own. Django sends post_migrate only to apps with a models module,
and intch.apps listens to it to keep the Sites record in step with SITE_URL."""
