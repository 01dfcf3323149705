import sys

from assess.cli import main
from assess.cli.process import run_command_process

sys.exit(run_command_process(main))
