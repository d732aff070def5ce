<?php

use PHPUnit\Framework\TestCase;
use PrestashopInfor\Envelope;
use PrestashopInfor\Signature;

/** The signature's bytes (webhooks.md §5) and the envelope's encoding (§4), without a shop. */
final class SignatureAndEnvelopeTest extends TestCase
{
    const SECRET = 'whsec_0123456789abcdef0123456789abcdef';
    const BODY = '{"id":"7f1c1d2e-0c55-4f5b-9a43-3b1d7c3b2a10","event":"order.created"}';
    /** Computed in Python: hmac.new(SECRET, b"1717171717." + BODY, hashlib.sha256).hexdigest() */
    const EXPECTED = '95292b5b5ba13e54d5b78636ab0652c67ad9da591e3964838ab4791b6007c9ef';

    public function testTheSignatureIsHmacSha256OfTimestampDotBody()
    {
        $this->assertSame(self::EXPECTED, Signature::sign(self::SECRET, 1717171717, self::BODY));
        $this->assertSame('t=1717171717,v1=' . self::EXPECTED, Signature::header(1717171717, self::BODY, [self::SECRET]));
        $this->assertSame(
            't=1717171717,v1=' . Signature::sign('new-secret-' . str_repeat('x', 32), 1717171717, self::BODY) . ',v1=' . self::EXPECTED,
            Signature::header(1717171717, self::BODY, ['new-secret-' . str_repeat('x', 32), self::SECRET])
        );
    }

    public function testVerifyFollowsTheReceiversSteps()
    {
        $header = 't=1717171717,v1=' . self::EXPECTED;
        $this->assertTrue(Signature::verify(self::BODY, $header, '1717171717', [self::SECRET], 1717171717));
        $this->assertTrue(Signature::verify(self::BODY, $header, null, ['other-' . str_repeat('y', 32), self::SECRET], 1717171717 + 300));
        $this->assertTrue(Signature::verify(self::BODY, 't=1717171717, v1=deadbeef, v1=' . self::EXPECTED . ', v2=ignored', null, [self::SECRET], 1717171717));
        $refused = [
            'stale' => [self::BODY, $header, null, 1717171717 + 301],
            'from the future' => [self::BODY, $header, null, 1717171717 - 301],
            'timestamp header differs' => [self::BODY, $header, '1717171718', 1717171717],
            'body changed' => [self::BODY . ' ', $header, null, 1717171717],
            'no v1' => [self::BODY, 't=1717171717', null, 1717171717],
            'two t' => [self::BODY, 't=1717171717,t=1717171717,v1=' . self::EXPECTED, null, 1717171717],
            't not digits' => [self::BODY, 't=17e8,v1=' . self::EXPECTED, null, 1717171717],
            'empty' => [self::BODY, '', null, 1717171717],
            'missing' => [self::BODY, null, null, 1717171717],
        ];
        foreach ($refused as $case => list($body, $signature, $timestamp, $now)) {
            $this->assertFalse(Signature::verify($body, $signature, $timestamp, [self::SECRET], $now), $case);
        }
        $this->assertFalse(Signature::verify(self::BODY, $header, null, ['wrong-' . str_repeat('z', 32)], 1717171717));
    }

    public function testEventIdsAreRandomUuidsVersion4()
    {
        $ids = [];
        for ($i = 0; $i < 50; ++$i) {
            $ids[] = Envelope::uuid4();
        }
        foreach ($ids as $id) {
            $this->assertMatchesRegularExpression('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $id);
        }
        $this->assertCount(50, array_unique($ids));
    }

    public function testTheBodyIsCompactUtf8JsonWithObjectsForEmptyData()
    {
        $shop = ['id_shop' => 1, 'id_shop_group' => 1, 'url' => 'https://shop.example', 'ps_version' => '8.1.4'];
        $envelope = Envelope::build('id-1', 'stock.updated', 0, $shop, 'actionUpdateQuantity', 'stock_availables', null, 4, []);
        $this->assertSame(
            '{"id":"id-1","event":"stock.updated","contract_version":1,"occurred_at":"1970-01-01T00:00:00Z",'
            . '"shop":{"id_shop":1,"id_shop_group":1,"url":"https://shop.example","ps_version":"8.1.4"},'
            . '"source_hook":"actionUpdateQuantity","resource":{"type":"stock_availables","id":null},"resource_version":4,"data":{}}',
            Envelope::encode($envelope)
        );
        $envelope['data'] = ['reference' => "Élan \xff"];
        $this->assertStringEndsWith('"data":{"reference":"Élan ' . "\u{fffd}" . '"}}', Envelope::encode($envelope), 'invalid UTF-8 is replaced, never fatal');
    }
}
