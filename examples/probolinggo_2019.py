"""Run the 2019 Probolinggo cohort end to end in memory and print the story.

Run it with ``python examples/probolinggo_2019.py``.
"""

from changeflow import demo

if __name__ == "__main__":
    demo.run()
