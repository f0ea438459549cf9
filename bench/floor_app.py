"""The latency floor for bench/browser_latency.py: the smallest Streamlit page that turns two sliders into a
28x28 image, with no model and no fragment. Whatever a slider change costs here is Streamlit's own round trip
(websocket, script rerun, media file, image load) on this machine; the explorer cannot be faster than this.

Run by the benchmark as ``streamlit run bench/floor_app.py``; the image's caption matches the sliders page's
("decoded code") so the same in-page probe finds it. The slider ranges match the VAE's (±3, step 0.01).
"""

import numpy as np
import streamlit as st

a = st.slider("a", -3.0, 3.0, 0.0, step=0.01)
b = st.slider("b", -3.0, 3.0, 0.0, step=0.01)
y, x = np.mgrid[0:28, 0:28] / 27.0
image = 0.5 + 0.5 * np.sin(4.0 * a * x + 4.0 * b * y + 0.3 * a * b)
st.image(image, caption="decoded code", width=280)
