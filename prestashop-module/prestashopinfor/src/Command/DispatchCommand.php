<?php
/**
 * `php bin/console prestashopinfor:dispatch`: one run of the dispatcher, as the cron URL does it,
 * for PrestaShop 8 and 9 (Symfony console). Registered in config/services.yml with the
 * console.command tag; found through vendor/autoload.php.
 *
 * The signatures suit Symfony 4.4 (PrestaShop 8) and 6.4 (PrestaShop 9): configure() and execute()
 * declare return types their parent does not, which PHP allows.
 */

namespace PrestashopInfor\Command;

use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

class DispatchCommand extends Command
{
    const NAME = 'prestashopinfor:dispatch';

    protected function configure(): void
    {
        $this->setName(self::NAME)
            ->setDescription('Sends the due webhook events of the prestashopinfor outbox, then purges old delivered ones.');
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $context = \Context::getContext();
        if (!$context->shop) {
            // The console has no shop of its own (classes/Context.php): the default one.
            $context->shop = new \Shop((int) \Configuration::get('PS_SHOP_DEFAULT'));
        }
        $module = \Module::getInstanceByName('prestashopinfor');
        if (!$module || !$module->active) {
            $output->writeln('<error>The prestashopinfor module is not installed and enabled.</error>');

            return 1;
        }
        $summary = $module->runCron();
        $output->writeln(json_encode($summary));

        return 0;
    }
}
