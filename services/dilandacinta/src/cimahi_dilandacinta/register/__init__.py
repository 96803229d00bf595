"""The population register: persons, families (KK), identity proofing, and the effects of issued documents."""
