"""Standard Webhooks (https://www.standardwebhooks.com): signing and verifying HTTP callbacks."""
