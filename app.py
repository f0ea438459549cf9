"""The latent-space explorer for autoencoders and VAEs: ``streamlit run app.py``.

This script only sets the page up, draws the shared sidebar and hands over to the page the user opened;
the pages live in views/, their logic in explorer/. Checkpoints are read from $VAE_CHECKPOINTS, else from
the repository's checkpoints/ folder.

Why views/ and not pages/: Streamlit treats a folder named pages/ beside the main script as an old-style
multipage app until st.navigation has run once in the process. On a freshly started server, the first
visitor who opens a deep link such as /sliders then gets that page's file run on its own, without this
script (no sidebar, no page config), and AppTest runs every rerun that way.
"""

import streamlit as st

from explorer.lesson import ui as lesson
from explorer.shared import context, frame, sidebar

st.set_page_config(page_title="Latent-space explorer", page_icon=frame.PAGE_ICON, layout="wide")
frame.setup_logging()
frame.configure_threads()
frame.crisp_pixels()

PAGES = [
    st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page(lesson.LESSON_PAGE, title="Lesson", icon=":material/school:"),
    st.Page("views/sliders.py", title="Latent sliders", icon=":material/tune:"),
    st.Page("views/reconstruct.py", title="Reconstruct", icon=":material/compare:"),
    st.Page("views/inside.py", title="Inside the VAE", icon=":material/schema:"),
    st.Page("views/draw.py", title="Draw a digit", icon=":material/draw:"),
    st.Page("views/interpolate.py", title="Interpolate", icon=":material/timeline:"),
    st.Page("views/latent_map.py", title="Latent map", icon=":material/scatter_plot:"),
    st.Page("views/sampling.py", title="AE vs VAE sampling", icon=":material/casino:"),
    st.Page("views/train.py", title="Train", icon=":material/model_training:"),
    st.Page("views/arithmetic.py", title="Latent arithmetic", icon=":material/exposure:"),
]

page = st.navigation(PAGES)
on_lesson = page.url_path == PAGES[1].url_path
frame.guard(context.begin)  # the one read of the checkpoints and runs folders this run
frame.guard(lambda: lesson.before_page(on_lesson))  # a ?lesson= link, and "Show me"'s settings, before any widget
frame.guard(sidebar.sidebar)  # the pickers, then the run's context (explorer.shared.context)
frame.guard(lambda: lesson.banner(on_lesson))
page.run()
