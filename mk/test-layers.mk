# Layers tier: the dependency check (every #include points down the layer order written in
# docs/ARCHITECTURE.md), the check that every document the project mentions is in the
# repository, and the unit tests of both checks (test/layers/). Python's standard library only.
.PHONY: test-layers
test-layers:
	@test/layers/run.sh
