<?php
/**
 * symfony/console's Command, InputInterface and OutputInterface (src/Symfony/Component/Console), as
 * little of them as DispatchCommand uses.
 */

namespace Symfony\Component\Console\Input {
    interface InputInterface
    {
    }
}

namespace Symfony\Component\Console\Output {
    interface OutputInterface
    {
        public function writeln($messages, int $options = 0);
    }
}

namespace Symfony\Component\Console\Command {
    use Symfony\Component\Console\Input\InputInterface;
    use Symfony\Component\Console\Output\OutputInterface;

    class Command
    {
        private $name;
        private $description;

        public function __construct(?string $name = null)
        {
            $this->configure();
        }

        protected function configure()
        {
        }

        protected function execute(InputInterface $input, OutputInterface $output)
        {
            return 0;
        }

        public function run(InputInterface $input, OutputInterface $output)
        {
            return $this->execute($input, $output);
        }

        public function setName(string $name)
        {
            $this->name = $name;

            return $this;
        }

        public function getName()
        {
            return $this->name;
        }

        public function setDescription(string $description)
        {
            $this->description = $description;

            return $this;
        }

        public function getDescription()
        {
            return $this->description;
        }
    }
}
