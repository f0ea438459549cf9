"""Latent map: the test set's codes as a map, the pad, the digits and how the space formed.

- ``scatter`` + ``map_chart``: one model's codes as a canvas scatter (map.js, map.css), also used by Interpolate and
  the Train page;
- ``sprites``: the digit atlas behind the map's digit mode (sprites.js);
- ``pad`` + ``latent_pad``: both models decode the place under the pointer (pad.js, pad.css);
- ``timeline`` + ``timeline_chart``: the epoch scrubber over training timelines (timeline.js, timeline.css);
- ``panels``: the selected point's details and the decoded planes; ``cache``: the map's caches; ``state``: keys.
"""
