# Imported rather than listed in pytest_plugins: pytest only honours that in top-level conftests.
from tests.fake_k8s.fixtures import fake_k8s, fake_kubeconfig

__all__ = ["fake_k8s", "fake_kubeconfig"]
