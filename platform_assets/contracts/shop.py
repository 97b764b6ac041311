"""The shop's OLTP tables: the source of the lakehouse."""

from platform_assets.contracts.model import Column as C
from platform_assets.contracts.model import TableContract

CUSTOMERS = TableContract(
    name="customers",
    description="People who registered with the shop.",
    owner="team:crm",
    primary_key=("customer_id",),
    columns=(
        C("customer_id", "bigint", nullable=False, description="Surrogate key."),
        C("email", "text", nullable=False, pii="hash", description="Login e-mail; keyed hash when curated."),
        C("first_name", "text", pii="drop", description="Given name."),
        C("last_name", "text", pii="drop", description="Family name."),
        C("phone", "text", pii="drop", description="Phone number, optional."),
        C("street_address", "text", pii="drop", description="Street and number."),
        C("city", "text", description="City of the current address."),
        C("country", "text", nullable=False, description="ISO 3166-1 alpha-2 country code."),
        C("marketing_opt_in", "boolean", nullable=False, description="Consented to marketing."),
        C("created_at", "timestamptz", nullable=False, description="Registration time."),
        C("updated_at", "timestamptz", nullable=False, description="Last change time."),
    ),
    clustering=("country",),
    freshness_sla_minutes=60,
)

PRODUCTS = TableContract(
    name="products",
    description="The catalogue of things the shop sells.",
    owner="team:merchandising",
    primary_key=("product_id",),
    columns=(
        C("product_id", "bigint", nullable=False, description="Surrogate key."),
        C("sku", "text", nullable=False, description="Stock keeping unit."),
        C("name", "text", nullable=False, description="Display name (may hold quotes and unicode)."),
        C("category", "text", nullable=False, description="Merchandising category."),
        C("price", "money", nullable=False, description="List price in EUR."),
        C("active", "boolean", nullable=False, description="Currently sold."),
        C("created_at", "timestamptz", nullable=False, description="Listing time."),
        C("updated_at", "timestamptz", nullable=False, description="Last change time."),
    ),
    clustering=("category",),
    shared=True,
    freshness_sla_minutes=240,
)

ORDERS = TableContract(
    name="orders",
    description="One row per checkout.",
    owner="team:checkout",
    primary_key=("order_id",),
    columns=(
        C("order_id", "bigint", nullable=False, description="Surrogate key."),
        C("customer_id", "bigint", nullable=False, description="Who ordered."),
        C("status", "text", nullable=False, description="placed, paid, shipped, delivered, cancelled."),
        C("order_ts", "timestamptz", nullable=False, description="When the order was placed."),
        C("total_amount", "money", nullable=False, description="Order total in `currency`."),
        C("currency", "text", nullable=False, description="ISO 4217 currency code."),
        C("shipping_country", "text", description="Destination country, null for digital goods."),
        C(
            "note",
            "text",
            pii="free_text",
            description="Free-text customer note; may hold names, addresses, phone numbers.",
        ),
        C("updated_at", "timestamptz", nullable=False, description="Last change time."),
    ),
    clustering=("order_ts",),
    key_bucket_size=20_000,
    freshness_sla_minutes=15,
)

ORDER_ITEMS = TableContract(
    name="order_items",
    description="Lines of an order.",
    owner="team:checkout",
    primary_key=("order_item_id",),
    columns=(
        C("order_item_id", "bigint", nullable=False, description="Surrogate key."),
        C("order_id", "bigint", nullable=False, description="The order."),
        C("product_id", "bigint", nullable=False, description="The product."),
        C("quantity", "int", nullable=False, description="Units ordered."),
        C("unit_price", "money", nullable=False, description="Price per unit at order time."),
        C("discount", "money", description="Discount on the line, if any."),
    ),
    clustering=("order_id",),
    key_bucket_size=50_000,
    freshness_sla_minutes=15,
)

PAYMENTS = TableContract(
    name="payments",
    description="Payment attempts for orders.",
    owner="team:payments",
    primary_key=("payment_id",),
    columns=(
        C("payment_id", "bigint", nullable=False, description="Surrogate key."),
        C("order_id", "bigint", nullable=False, description="The order paid."),
        C("method", "text", nullable=False, description="card, paypal, bank_transfer, voucher."),
        C("amount", "money", nullable=False, description="Amount in the order's currency."),
        C("status", "text", nullable=False, description="pending, captured, refunded, failed."),
        C("paid_at", "timestamptz", description="Capture time, null until captured."),
    ),
    clustering=("order_id",),
    key_bucket_size=20_000,
    freshness_sla_minutes=15,
)

SHOP_TABLES = (CUSTOMERS, PRODUCTS, ORDERS, ORDER_ITEMS, PAYMENTS)
