"""The operator's kit for OpenID certification: suite configurations, a seed script and a
local black-box harness that plays the suite's modules against a running provider."""
