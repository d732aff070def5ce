<?php

use PrestashopInfor\Dispatcher;
use PrestashopInfor\Outbox;

/**
 * Sending the outbox (webhooks.md §3, §5, §7.1): the headers and signature of each attempt, what each
 * answer does, the back-off schedule to the second, expiry, purge, bounds.
 */
final class DispatcherTest extends ModuleTestCase
{
    public function testA2xxDeliversTheStoredBodySignedWithTheContractsHeaders()
    {
        $row = $this->recordOne();
        $this->clock->now += 2;
        $this->assertSame(['delivered' => 1, 'retry' => 0, 'refused' => 0, 'postponed' => 0], $this->dispatch());

        $this->assertCount(1, $this->http->requests);
        $request = $this->http->requests[0];
        $t = self::NOW + 2;
        $this->assertSame(self::RECEIVER, $request['url']);
        $this->assertSame($row['envelope'], $request['body'], 'the body is sent exactly as stored');
        $this->assertSame(3, $request['timeout']);
        $this->assertSame([
            'Content-Type' => 'application/json',
            'User-Agent' => 'PrestaShop-Webhooks/1.0',
            'X-PS-Webhook-Id' => $row['event_id'],
            'X-PS-Webhook-Event' => 'customer.updated',
            'X-PS-Webhook-Timestamp' => (string) $t,
            'X-PS-Webhook-Attempt' => '1',
            'X-PS-Webhook-Signature' => 't=' . $t . ',v1=' . hash_hmac('sha256', $t . '.' . $row['envelope'], self::SECRET),
        ], $request['headers']);

        $row = $this->row((int) $row['id_outbox']);
        $this->assertSame(['delivered', '1', (string) $t, null], [$row['status'], (string) $row['attempts'], (string) $row['delivered_at'], $row['last_error']]);
        $this->assertSame(['delivered' => 0, 'retry' => 0, 'refused' => 0, 'postponed' => 0], $this->dispatch(), 'never sent again');
    }

    public function permanentStatuses()
    {
        return [[400], [401], [403], [404], [410], [413], [422], [301]];
    }

    /** @dataProvider permanentStatuses */
    public function testA4xxOtherThan408And429ParksTheEventAsRefused(int $status)
    {
        $row = $this->recordOne();
        $this->http->answer($status, '', '{"error":"unknown shop"}');
        $this->assertSame(1, $this->dispatch()['refused']);
        $row = $this->row((int) $row['id_outbox']);
        $this->assertSame(['refused', '1'], [$row['status'], (string) $row['attempts']]);
        $this->assertSame('HTTP ' . $status . ': {"error":"unknown shop"}', $row['last_error']);
        $this->clock->now += 86400;
        $this->dispatch();
        $this->assertCount(1, $this->http->requests, 'a refused event is never sent again');
    }

    public function temporaryFailures()
    {
        return [[408, 'HTTP 408'], [429, 'HTTP 429'], [500, 'HTTP 500'], [502, 'HTTP 502'], [503, 'HTTP 503'],
                [null, 'no answer: Operation timed out after 3001 milliseconds']];
    }

    /** @dataProvider temporaryFailures */
    public function testA5xx408429OrNoAnswerIsTriedAgainIn5Seconds($status, string $error)
    {
        $row = $this->recordOne();
        $this->http->answer($status, $status === null ? 'Operation timed out after 3001 milliseconds' : '');
        $this->assertSame(1, $this->dispatch()['retry']);
        $row = $this->row((int) $row['id_outbox']);
        $this->assertSame(['pending', '1', (string) (self::NOW + 5), $error], [$row['status'], (string) $row['attempts'], (string) $row['next_attempt_at'], $row['last_error']]);
        $this->clock->now += 4;
        $this->dispatch();
        $this->assertCount(1, $this->http->requests, 'not before it is due');
        $this->clock->now += 1;
        $this->dispatch();
        $this->assertCount(2, $this->http->requests);
        $this->assertSame('2', $this->http->requests[1]['headers']['X-PS-Webhook-Attempt']);
    }

    public function testTheBackOffIsTheContractsScheduleThenTheEventIsRefused()
    {
        $row = $this->recordOne();
        $sentAt = [];
        $this->http->onRequest = function () use (&$sentAt) {
            $sentAt[] = $this->clock->now - self::NOW;
        };
        for ($i = 0; $i < 20; ++$i) {
            $this->http->answer(503);
        }
        for ($attempt = 1; $attempt <= 8; ++$attempt) {
            $this->dispatch();
            $due = (int) $this->row((int) $row['id_outbox'])['next_attempt_at'];
            if ($attempt < 8) {
                $this->clock->now = $due - 1;
                $this->dispatch(); // one second early: nothing
                $this->clock->now = $due;
            }
        }
        // immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the previous attempt (§7.1)
        $this->assertSame([0, 5, 305, 2105, 9305, 27305, 63305, 99305], $sentAt);
        $this->assertSame(['1', '2', '3', '4', '5', '6', '7', '8'], array_map(function ($request) {
            return $request['headers']['X-PS-Webhook-Attempt'];
        }, $this->http->requests));
        $row = $this->row((int) $row['id_outbox']);
        $this->assertSame(['refused', '8', 'gave up after 8 attempts: HTTP 503'], [$row['status'], (string) $row['attempts'], $row['last_error']]);
        $this->clock->now += 86400;
        $this->dispatch();
        $this->assertCount(8, $this->http->requests);
    }

    public function testEachAttemptIsSignedAfreshWithTheSameEventId()
    {
        $row = $this->recordOne();
        $this->http->answer(500);
        $this->dispatch();
        $this->clock->now += 5;
        $this->dispatch();
        list($first, $second) = $this->http->requests;
        $this->assertSame($first['headers']['X-PS-Webhook-Id'], $second['headers']['X-PS-Webhook-Id']);
        $this->assertSame($first['body'], $second['body']);
        $this->assertSame([(string) self::NOW, (string) (self::NOW + 5)], [$first['headers']['X-PS-Webhook-Timestamp'], $second['headers']['X-PS-Webhook-Timestamp']]);
        $this->assertNotSame($first['headers']['X-PS-Webhook-Signature'], $second['headers']['X-PS-Webhook-Signature']);
        $this->assertSame('delivered', $this->row((int) $row['id_outbox'])['status']);
    }

    public function testAnEventNotDeliveredWithinThreeDaysExpires()
    {
        $row = $this->recordOne();
        $this->clock->now += 3 * 86400; // exactly 72 h: still sent
        $this->http->answer(503);
        $this->dispatch();
        $this->assertCount(1, $this->http->requests);
        $this->clock->now += 5;
        $this->assertSame(1, $this->dispatch()['refused']);
        $this->assertCount(1, $this->http->requests, 'an expired event is not sent');
        $row = $this->row((int) $row['id_outbox']);
        $this->assertSame(['refused', '1', 'expired: not delivered within 72 hours'], [$row['status'], (string) $row['attempts'], $row['last_error']]);
    }

    public function testThePurgeDeletesOnlyDeliveredEventsOlderThanTheSetting()
    {
        Configuration::updateGlobalValue(PrestashopInfor::CONFIG_PURGE_DAYS, 2);
        $this->recordOne();
        $this->dispatch(); // delivered at NOW
        $this->recordOne();
        $this->http->answer(400);
        $this->dispatch(); // refused
        $this->recordOne(); // pending
        $this->http->answer(503);
        $this->dispatch();
        $this->clock->now = self::NOW + 2 * 86400;
        $this->assertSame(0, $this->module->runCron()['purged'], 'not older than 2 days yet');
        $this->clock->now += 1;
        $this->assertSame(1, $this->module->runCron()['purged']);
        $this->assertSame(['refused', 'delivered'], array_column($this->outboxRows(), 'status'));
    }

    public function testABatchIsBoundedInEventsAndInTime()
    {
        for ($i = 0; $i < 5; ++$i) {
            $this->recordOne();
        }
        $this->assertSame(2, $this->dispatch(2, 50)['delivered']);
        $this->http->onRequest = function () {
            $this->clock->now += 3; // each receiver takes its 3 seconds
        };
        $this->assertSame(2, $this->dispatch(10, 6)['delivered'], 'no attempt starts after 6 seconds');
        $this->assertCount(4, $this->http->requests);
    }

    public function testAnEventAnotherSenderClaimedIsLeftToIt()
    {
        $row = $this->recordOne();
        $outbox = $this->module->outbox();
        $this->assertTrue($outbox->claim($row, self::NOW + Dispatcher::LEASE));
        $this->assertFalse($outbox->claim($row, self::NOW + Dispatcher::LEASE), 'a row is claimed once');
        $this->dispatch();
        $this->assertSame([], $this->http->requests);
        $this->clock->now += Dispatcher::LEASE; // the other sender died: the row is due again
        $this->dispatch();
        $this->assertCount(1, $this->http->requests);
    }

    public function testDuringARotationEachAttemptIsSignedWithBothSecrets()
    {
        $old = self::SECRET;
        $new = str_repeat('n', 40);
        Configuration::updateValue(PrestashopInfor::CONFIG_SECRET, $new);
        Configuration::updateValue(PrestashopInfor::CONFIG_PREVIOUS_SECRET, $old);
        $row = $this->recordOne();
        $this->dispatch();
        $signed = self::NOW . '.' . $row['envelope'];
        $this->assertSame(
            't=' . self::NOW . ',v1=' . hash_hmac('sha256', $signed, $new) . ',v1=' . hash_hmac('sha256', $signed, $old),
            $this->http->requests[0]['headers']['X-PS-Webhook-Signature']
        );
    }

    public function testWithoutASecretNothingIsSentAndNoAttemptCounted()
    {
        Configuration::updateValue(PrestashopInfor::CONFIG_SECRET, '');
        $row = $this->recordOne();
        $this->assertSame(1, $this->dispatch()['postponed']);
        $this->assertSame([], $this->http->requests);
        $row = $this->row((int) $row['id_outbox']);
        $this->assertSame(['pending', '0', (string) (self::NOW + 300), 'no secret configured for this shop'], [$row['status'], (string) $row['attempts'], (string) $row['next_attempt_at'], $row['last_error']]);
    }

    public function testEachShopsEventsAreSignedWithThatShopsSecret()
    {
        Shop::$featureActive = true;
        Shop::$shops[2] = [2, 'second.example', '/'];
        Shop::setContext(Shop::CONTEXT_SHOP, 2);
        Configuration::updateValue(PrestashopInfor::CONFIG_SECRET, str_repeat('2', 40));
        Shop::setContext(Shop::CONTEXT_SHOP, 1);
        Customer::saved(20, ['id_shop' => 2, 'id_shop_group' => 2, 'date_upd' => '2024-05-31 10:00:00']);
        $this->hook('actionObjectCustomerUpdateAfter', ['object' => new Customer(20)]);
        $this->recordOne(); // customer 7, shop 1
        $this->dispatch();
        list($second, $first) = $this->http->requests;
        $this->assertStringEndsWith('v1=' . hash_hmac('sha256', self::NOW . '.' . $second['body'], str_repeat('2', 40)), $second['headers']['X-PS-Webhook-Signature']);
        $this->assertStringEndsWith('v1=' . hash_hmac('sha256', self::NOW . '.' . $first['body'], self::SECRET), $first['headers']['X-PS-Webhook-Signature']);
    }

    public function testTheOutboxStateCountsAndShowsTheLastError()
    {
        $this->recordOne();
        $this->http->answer(401, '', '{"error":"the signature matches no active secret"}');
        $this->dispatch();
        $this->clock->now += 60;
        $this->recordOne();
        $this->recordOne();
        $this->dispatch(1, 50);
        $this->clock->now += 600;
        $state = $this->module->outbox()->state($this->clock->now);
        $this->assertSame(1, $state['pending']);
        $this->assertSame(1, $state['delivered']);
        $this->assertSame(1, $state['refused']);
        $this->assertSame(600, $state['oldest_pending_age']);
        $this->assertSame('HTTP 401: {"error":"the signature matches no active secret"}', $state['last_error']['last_error']);
        $this->assertSame(Outbox::PENDING, 'pending');
    }

    public function testWhatEachAnswerMeans()
    {
        foreach ([200, 201, 202, 204, 299] as $status) {
            $this->assertSame(Dispatcher::DELIVERED, Dispatcher::outcome($status), (string) $status);
        }
        foreach ([null, 408, 429, 500, 502, 503, 504, 599] as $status) {
            $this->assertSame(Dispatcher::RETRY, Dispatcher::outcome($status), (string) $status);
        }
        foreach ([100, 302, 400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 499] as $status) {
            $this->assertSame(Dispatcher::REFUSED, Dispatcher::outcome($status), (string) $status);
        }
    }
}
