"""Quality metrics of a generated set (paper 3.2): recognizability, diversity and FID, all read
off one reference classifier trained on real data. Importing this package registers them."""

from synscale.metrics import diversity, fid, recognizability  # noqa: F401  (registration)
from synscale.metrics.base import METRICS, Measurement, MetricValue
from synscale.metrics.measure import measure, measure_images

__all__ = ["METRICS", "Measurement", "MetricValue", "measure", "measure_images"]
