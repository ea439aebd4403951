# Setup: makes `course_utils` importable in a checkout, in JupyterLab/VS Code or in Colab.
import importlib.util, subprocess, sys
from pathlib import Path

COURSE_REPO = "https://github.com/attention-course/attention-course"  # your fork's URL
if importlib.util.find_spec("course_utils") is None:
    root = next((p for p in [Path.cwd(), *Path.cwd().parents] if (p / "course_utils").is_dir()), None)
    if root is None:  # Colab or a lone notebook: clone the course and install it
        root = Path("attention-course")
        subprocess.run(["git", "clone", "-q", "--depth", "1", COURSE_REPO, str(root)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", str(root)], check=True)
    sys.path.insert(0, str(root.resolve()))

from course_utils.notebook import setup_notebook, elapsed
ENV = setup_notebook(seed=0)
