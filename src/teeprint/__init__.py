"""teeprint: machine-learning specimens rendered as museum-plate apparel.

The pipeline, one module a stage: :mod:`catalog` (designs and palettes) -> :mod:`recipes`
(figure data) -> :mod:`motifs` (figure drawing) -> :mod:`plate` (layout) -> writers
(:mod:`artwork` SVG, :mod:`raster` PNG, ...) -> :mod:`export` (files and manifest), with
:mod:`pipeline` holding the order and :mod:`cli` the commands.
"""

__version__ = "0.1.0"
