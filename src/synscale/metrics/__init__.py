"""Quality metrics of a generated set (paper 3.2): recognizability, diversity and FID, all read
off one reference classifier trained on real data. Importing this package registers them. Beside
them, the style probe (``style``): which style (handwritten, rendition, sketch) an image is in."""

from synscale.metrics import diversity, fid, recognizability  # noqa: F401  (registration)
from synscale.metrics.base import METRICS, Measurement, MetricValue
from synscale.metrics.measure import measure, measure_images
from synscale.metrics.style import StyleProbe, style_probe

__all__ = ["METRICS", "Measurement", "MetricValue", "StyleProbe", "measure", "measure_images",
           "style_probe"]
