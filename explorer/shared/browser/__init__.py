"""The in-browser side every component shares: ``components`` registers a feature's JS module with the libraries in
front of it (``runner.js``, ``mount.js``, ``canvas.js``, ``buttons.css``); ``weights`` exports a model for
``runner.js``. README.md maps every browser file of every feature.
"""
